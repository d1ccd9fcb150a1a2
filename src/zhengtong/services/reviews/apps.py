from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "zhengtong.services.reviews"
    label = "reviews"
    verbose_name = "好差评"
