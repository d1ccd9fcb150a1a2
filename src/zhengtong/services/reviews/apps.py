from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "zhengtong.services.reviews"
    label = "reviews"
    verbose_name = "好差评"

    def ready(self):
        from zhengtong.kernel.events.public import register_handler
        from zhengtong.kernel.loops.public import register_loop_kind

        from .handlers import HANDLERS
        from .loop_kinds import bad_review_kind

        # 差评整改: the deadlines come from REVIEW_CALLBACK_DAYS / REVIEW_RECTIFY_DAYS as the app
        # loads. kernel.loops keeps kinds in a static registry that refuses a changed spec, so a
        # new value takes effect on restart.
        register_loop_kind(bad_review_kind())
        # Cases moved on the loops' own pages, or escalated, keep the review's mirror current.
        for name, func in HANDLERS.items():
            register_handler(name, func)
