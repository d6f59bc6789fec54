from core.urls import slash_optional

from . import views

urlpatterns = [
    *slash_optional("register", views.RegisterView.as_view(), name="register"),
    *slash_optional("login", views.LoginView.as_view(), name="login"),
    *slash_optional("refresh", views.RefreshView.as_view(), name="token-refresh"),
    *slash_optional("logout", views.LogoutView.as_view(), name="logout"),
    *slash_optional("me", views.MeView.as_view(), name="me"),
]
