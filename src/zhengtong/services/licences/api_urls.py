"""/api/v1/licences/…"""

urlpatterns: list = []
