"""Batch import of a school's basic information from xlsx (§5.2.4.1 "批量导入").

One module per kind (students.py, structure.py), the file checks in reading.py, bulk accounts in accounts.py;
`afterschool.schools.services.imports` is the entry point (`import_run`). How an import runs:

1. The file is checked as a whole (size limit `AFTERSCHOOL_IMPORT_MAX_BYTES`, zip signature, openpyxl can read it,
   no formulas, headers match the template) — any failure is one `ImportFileError` (4xx), never a 500.
2. Every row is validated against the file itself (duplicates) and the database (unknown grade/class/staff,
   an ID number or mobile used by another record of the school, a mobile already used as another account's
   username, a teacher in two classes at the same weekday and period — checked on the timetable as it will be
   after the import, so cells the file replaces do not count). Every problem is collected with its row and column.
3. Only when no row has a problem is anything written, all in one transaction, with bulk inserts/updates, and
   audited once per import (plus one row for the accounts created and one for the roles granted, with counts).

Re-importing the same file updates instead of duplicating: students by 学籍号, staff by 工号, venues by name,
classes by (年级, 班级名称), timetable cells by (班级, 星期, 节次). Blank optional cells keep existing values;
a student's guardians are replaced by those in the file. A guardian shared with another school is never renamed.

Accounts (see accounts.py for the password design): guardians get parent accounts and staff with a mobile get
teacher accounts (username = mobile), each with its own random initial password hashed at a low PBKDF2-SM3
iteration count (safe for a 95-bit random secret; rehashed at the full count at first login) and
`must_change_password`. The passwords are shown once after the import as a downloadable xlsx (audited as an
export), kept meanwhile SM4-encrypted in the cache under a key bound to the importing user.
"""

from .common import Counts, Kind, RowError
from .reading import ImportFileError
from .structure import CLASSES, STAFF, TIMETABLE, VENUES
from .students import KIND as STUDENTS

KINDS: dict[str, Kind] = {k.code: k for k in (STUDENTS, STAFF, VENUES, CLASSES, TIMETABLE)}

__all__ = ["KINDS", "Counts", "ImportFileError", "Kind", "RowError"]
