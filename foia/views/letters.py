"""Pages for letters."""

urlpatterns: list = []
