"""/api/v1/reviews/…"""

urlpatterns: list = []
