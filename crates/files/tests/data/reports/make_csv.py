"""Writes tests/data/reports/gbk.csv, the fixture of tests/reports/mod.rs: annual reports laid out
one chamber a row, as Excel on a Chinese Windows saves plain "CSV" (GBK, CRLF, no BOM), made by
hand: labels only (no row of codes), a 序号 column, a 报送日期 column, spellings as people type them.

The .csv is committed, so tests need no Python; kept so that the fixture can be remade.
"""
import csv
import io
import os

header = ["序号", "单位名称", "统一社会信用代码", "商会类别", "是否在民政部门登记", "会员总数",
          "单位（企业）会员数", "个人会员数", "理事人数", "秘书处专职工作人员数", "是否建立党组织",
          "党组织形式", "未建立党组织原因", "是否选派党建指导员", "党员会员数", "党建工作是否写入章程",
          "年度政治学习、理想信念教育活动次数", "年度召开会员（代表）大会次数", "年度召开理事会次数",
          "最近一次换届日期", "是否建立并执行财务管理制度", "年度财务是否经会计师事务所审计",
          "年度总收入（万元）", "年度总支出（万元）", "会费收入（万元）", "年度为会员开展服务活动次数",
          "年度公益慈善捐赠金额（万元）", "上年度年检结论", "整改情况报告", "报送日期"]
rows = [
    ["1", "福州市鼓楼区餐饮商会", "51350102MJ0000000X", "行业", "是", "1,234", "1,200", "34",
     "30", "2", "有", "党支部", "", "", "１２", "√", "4", "1", "2", "2021/5/3", "Y", "N",
     "12.5", "10.10", "8", "6", "0", "合格", "", "2025年3月31日"],
    ["2", "福州市仓山区建材商会 ", "无", "行业", "是", "120", "100", "20", "30", "2", "无",
     "未建立", "党员人数不足", "×", "2", "是", "4", "1", "2", "44320", "是", "否", "12.5",
     "10.1", "8", "6", "0", "基本合格", "已按要求整改", "2025-03-30"],
]
assert all(len(r) == len(header) for r in rows)
here = os.path.dirname(os.path.abspath(__file__))
text = io.StringIO()
csv.writer(text, lineterminator="\r\n").writerows([header] + rows)
with open(os.path.join(here, "gbk.csv"), "wb") as f:
    f.write(text.getvalue().encode("gbk"))
