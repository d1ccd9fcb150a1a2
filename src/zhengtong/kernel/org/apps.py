from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhengtong.kernel.org"
    label = "org"
    verbose_name = "行政区划、部门、岗位"
