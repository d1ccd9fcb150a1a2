from django.apps import AppConfig


class MydataConfig(AppConfig):
    name = "zhengtong.data.mydata"
    label = "mydata"
    verbose_name = "个人数据宝"

    def ready(self):
        from zhengtong.kernel.loops.public import register_loop_kind

        from .services import MYDATA_CORRECTION

        # 数据纠错: a person's "this is wrong", on the source department's desk.
        register_loop_kind(MYDATA_CORRECTION)
