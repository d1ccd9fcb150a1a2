"""What other modules may use of mydata (个人数据宝): the loop kind of its correction requests,
so a department's workspace can tell them apart. Nothing imports mydata otherwise: it sits at the
right-hand end of the data platform and reads everything through the others' public modules."""

from .services import MYDATA_CORRECTION

CORRECTION_LOOP_KIND = MYDATA_CORRECTION.code

__all__ = ["CORRECTION_LOOP_KIND"]
