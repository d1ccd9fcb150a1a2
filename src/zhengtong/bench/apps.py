from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "zhengtong.bench"
    label = "bench"
    verbose_name = "Benchmarks"
