"""Writes tests/data/registry.xls, the legacy-format fixture for tests/files.rs.

Run with xlwt installed (pip install xlwt==1.3.0); the .xls is committed, so tests need no
Python. Kept so that the fixture can be remade or extended.
"""
import datetime
import os

import xlwt

wb = xlwt.Workbook(encoding="utf-8")
notes = wb.add_sheet("填表说明")
notes.write(0, 0, "名称")
notes.write(0, 1, "单位类型")
notes.write(1, 0, "说明页上的列名不算表头")

ws = wb.add_sheet("单位")
ws.write(0, 0, "福州市鼓楼区商会名录（2024 年）")
for c, h in enumerate(["名称*", "单位类型*", "商会类别", "统一社会信用代码", "行政区划代码",
                       "单位会员数", "成立日期", "是否在民政部门登记"]):
    ws.write(1, c, h)
date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
ws.write(2, 0, "  鼓楼区餐饮商会 ")
ws.write(2, 1, "商会")
ws.write(2, 2, "行业")
ws.write(2, 3, "51350102MJ0000000X")
ws.write(2, 4, 350102)
ws.write(2, 5, 40.0)
ws.write(2, 6, datetime.date(2015, 3, 1), date)
ws.write(2, 7, True)
ws.write(4, 0, "鼓东街道商会")
ws.write(4, 1, "商会")
ws.write(4, 4, 350102001)
ws.write(4, 5, 12.5)
ws.write(4, 7, False)

lists = wb.add_sheet("lists")
lists.visibility = 1
lists.write(0, 0, "单位类型")
lists.write(0, 1, "工商联层级")
lists.write(1, 0, "商会")
lists.write(1, 1, "县级")

wb.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "registry.xls"))
