"""Pages of licences."""

app_name = "licences"
urlpatterns: list = []
