"""The days on which the law or NHS England reshaped the structure, one name each.

Every ingest module that needs one of these dates imports it from here, so a
date the history turns on is written once. Each is the first day of the new
state (the day before is the last day of the old one: see
:func:`nhsgraph.temporal.day_before`).
"""

from __future__ import annotations

from datetime import date

#: Health and Social Care Act 2012: CCGs and NHS England's area teams begin (PCTs end the day before).
CCGS_ESTABLISHED = date(2013, 4, 1)
#: NHS England's area teams end; its regional local offices begin.
LOCAL_OFFICES_BEGIN = date(2015, 4, 1)
#: The 2016 STP footprints, as the ODS partner mapping lists them ("as at" the 2016/17 year).
STP_FOOTPRINTS_2016 = date(2016, 4, 1)
#: Three northern STP footprints merge into Cumbria and North East (ONS Code History).
STP_MERGER_2018 = date(2018, 4, 1)
#: Health and Care Act 2022: ICBs and statutory ICSs begin, CCGs are abolished.
STATUTORY_ICS = date(2022, 7, 1)
#: The first ICB mergers (42 ICBs become 36).
ICB_MERGERS_2026 = date(2026, 4, 1)
