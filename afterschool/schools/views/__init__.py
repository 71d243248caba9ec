"""Pages of school basic information, one module per area; each exposes `urlpatterns`."""
