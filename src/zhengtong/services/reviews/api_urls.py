"""/api/v1/reviews/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("reviews/", api.ReviewListCreateApi.as_view(), name="reviews-api-mine"),
    path("reviews/statistics/", api.StatisticsApi.as_view(), name="reviews-api-statistics"),
    path("reviews/open-bad/", api.OpenBadReviewsApi.as_view(), name="reviews-api-open-bad"),
]
