from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.board_list, name="board_list"),
    path("saya/", views.my_board, name="my_board"),
    path("<int:pk>/", views.board_detail, name="board_detail"),
]
