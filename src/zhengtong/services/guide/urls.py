"""URL placeholder (filled by the module's pages/API)."""

urlpatterns: list = []
