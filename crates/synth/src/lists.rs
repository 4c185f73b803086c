//! Word lists the generator draws from. Lists of names are in rough order of frequency where
//! that matters (surnames, origins), so a skewed pick gives a realistic mix.

/// Industries for 行业商会: `<place><industry>商会` or `<place><industry>行业商会`.
pub(crate) const INDUSTRIES: &[&str] = &[
    "餐饮",
    "建材",
    "红木家具",
    "汽车经销",
    "物流",
    "电子商务",
    "房地产",
    "医药",
    "茶叶",
    "服装",
    "鞋业",
    "五金机电",
    "纺织",
    "食品",
    "酒业",
    "珠宝",
    "陶瓷",
    "石材",
    "水产",
    "花卉苗木",
    "文化旅游",
    "教育培训",
    "民宿",
    "酒店",
    "美容美发",
    "物业管理",
    "家政服务",
    "装饰装修",
    "建筑业",
    "钢材",
    "化工",
    "新能源",
    "光伏",
    "机械制造",
    "模具",
    "印刷包装",
    "电线电缆",
    "塑料",
    "卫浴",
    "家具",
    "灯具",
    "通信",
    "软件和信息服务",
    "人力资源",
    "融资担保",
    "广告",
    "影视传媒",
    "体育",
    "养老服务",
    "健康产业",
    "中医药",
    "粮油",
    "果蔬",
    "畜牧",
    "林业",
    "竹业",
    "汽车维修",
    "二手车",
    "再生资源",
    "冷链物流",
    "跨境电商",
    "直播电商",
    "烘焙",
    "火锅",
    "超市零售",
    "进出口",
    "工艺美术",
    "眼镜",
    "农业",
    "个体私营",
];

/// Groups for 其他 chambers: `<place><group>商会`.
pub(crate) const OTHER_GROUPS: &[&str] = &[
    "女企业家",
    "青年企业家",
    "新生代企业家",
    "退役军人企业家",
    "侨商",
    "科技企业家",
    "小微企业",
    "民营企业家",
    "个体工商户",
    "青年创业",
];

/// How many of [`MARKETS`], from the front, a town may have.
pub(crate) const TOWN_MARKETS: usize = 4;

/// Markets for 市场 chambers; the first [`TOWN_MARKETS`] are found in towns too.
pub(crate) const MARKETS: &[&str] = &[
    "农贸市场",
    "小商品市场",
    "农产品批发市场",
    "建材市场",
    "家具城",
    "汽配城",
    "服装城",
    "水果批发市场",
    "五金机电市场",
    "茶叶市场",
    "花卉市场",
    "海鲜市场",
    "电子市场",
    "二手车市场",
    "钢材市场",
];

/// Buildings for 楼宇 chambers.
pub(crate) const BUILDINGS: &[&str] = &[
    "世纪大厦",
    "财富中心",
    "国贸大厦",
    "金融大厦",
    "商务中心",
    "总部大楼",
    "科技大厦",
    "会展中心",
    "中央商务区",
    "国际广场",
];

/// Parks for 园区 chambers where the division data names none.
pub(crate) const PARKS: &[&str] = &[
    "经济开发区",
    "工业园区",
    "高新技术产业园",
    "物流园",
    "电商产业园",
    "科技园",
    "创业园",
    "食品工业园",
    "农业科技园",
];

/// Groups for chambers under a park branch: `<zone><group>商会`.
pub(crate) const PARK_GROUPS: &[&str] = &[
    "企业家",
    "青年企业家",
    "企业",
    "科技企业",
    "外商投资企业",
    "总部企业",
];

/// Two syllables of a village name: `<a><b>村`.
pub(crate) const VILLAGE_A: &[&str] = &[
    "东", "西", "南", "北", "上", "下", "前", "后", "新", "大", "小", "高", "石", "龙", "凤", "马",
    "黄", "白", "杨", "柳", "桃", "李", "金", "双", "三",
];
pub(crate) const VILLAGE_B: &[&str] = &[
    "山", "湖", "塘", "坑", "岭", "溪", "坪", "埔", "桥", "庄", "头", "坝", "洋", "田", "园", "沟",
    "湾", "店", "营", "林",
];

/// Common surnames, most frequent first.
pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "向", "汤",
];

/// Surnames that are far more common in Fujian, Guangdong and Hainan.
pub(crate) const SOUTHERN_SURNAMES: &[&str] = &[
    "陈", "林", "黄", "张", "吴", "李", "郑", "王", "刘", "蔡", "许", "洪", "杨", "谢", "曾",
];

/// Characters of given names.
pub(crate) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "华", "建", "国", "文", "志", "海", "林", "红", "玉", "春",
    "金", "荣", "新", "德", "福", "兴", "昌", "永", "辉", "斌", "鹏", "宇", "浩", "俊", "峰", "晓",
    "亮", "成", "东", "光", "天", "庆", "祥", "瑞", "龙", "飞", "鑫", "恒", "源", "清", "泉", "水",
    "山", "忠", "诚", "信", "仁", "义", "宏", "振", "家", "宝", "坤", "婷", "燕", "琳", "颖", "慧",
    "雪", "梅", "兰", "英", "凤",
];

pub(crate) const UNREGISTERED_REASONS: &[&str] = &[
    "筹备中",
    "会员规模未达登记条件",
    "正在办理登记手续",
    "暂无固定办公场所",
    "作为工商联基层组织管理未单独登记",
    "发起人资格审查中",
];

pub(crate) const PARTY_REASONS: &[&str] = &[
    "党员人数不足3人",
    "党组织正在筹建",
    "党员组织关系均不在本会",
    "新成立商会党组织筹建中",
    "由所在街道党组织兼管",
];

pub(crate) const USCC_OVERRIDE_REASONS: &[&str] = &[
    "2015年早期赋码经核对登记证书无误",
    "早期赋码校验位不符经核对登记证书原件无误",
    "登记管理机关确认代码有效",
];

/// Places that many out-of-town chambers are named after (full division names), most frequent
/// first: the trading diasporas of Zhejiang, Fujian, Guangdong, Jiangxi, Hunan, Anhui, Henan.
pub(crate) const POPULAR_ORIGINS: &[&str] = &[
    "温州市",
    "莆田市",
    "泉州市",
    "台州市",
    "晋江市",
    "义乌市",
    "福州市",
    "宁波市",
    "潮州市",
    "汕头市",
    "揭阳市",
    "金华市",
    "福清市",
    "乐清市",
    "瑞安市",
    "南安市",
    "石狮市",
    "安溪县",
    "仙游县",
    "宁德市",
    "梅州市",
    "赣州市",
    "上饶市",
    "抚州市",
    "邵阳市",
    "衡阳市",
    "安庆市",
    "阜阳市",
    "六安市",
    "信阳市",
    "商丘市",
    "永康市",
    "东阳市",
    "温岭市",
    "慈溪市",
    "长乐区",
];

/// Provinces out-of-town chambers are most often named after (short names).
pub(crate) const POPULAR_PROVINCES: &[&str] = &[
    "浙江", "福建", "江西", "湖南", "安徽", "河南", "广东", "江苏", "四川", "湖北", "山东",
];
