"""Pages of reviews."""

app_name = "reviews"
urlpatterns: list = []
