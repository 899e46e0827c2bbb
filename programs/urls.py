from django.urls import path

from .views import board, review

app_name = "programs"

urlpatterns = [
    # Lists: a board's proposals by cycle (pengurus, Forum), the review queue (staff), exports.
    path("", board.proposal_list, name="list"),
    path("antrean/", review.queue, name="queue"),
    path("antrean.<str:fmt>", review.queue_export, name="queue_export"),
    # Drafting and the board's steps.
    path("baru/", board.proposal_create, name="create"),
    path("<int:pk>/", board.proposal_detail, name="detail"),
    path("<int:pk>/ubah/", board.proposal_edit, name="edit"),
    path("<int:pk>/ajukan/", board.proposal_submit, name="submit"),
    path("<int:pk>/tarik/", board.proposal_withdraw, name="withdraw"),
    path("<int:pk>/lanjutkan/", board.proposal_carry_over, name="carry_over"),
    path("<int:pk>/lampiran/", board.attachment_add, name="attachment_add"),
    path("<int:pk>/lampiran/<int:attachment_pk>/", board.attachment_download, name="attachment_download"),
    path("<int:pk>/lampiran/<int:attachment_pk>/hapus/", board.attachment_delete, name="attachment_delete"),
    path("<int:pk>/kemajuan/", board.progress_add, name="progress_add"),
    path("<int:pk>/selesai/", board.proposal_complete, name="complete"),
    path("<int:pk>/komentar/", board.comment_add, name="comment"),
    # Forum LPM and staff.
    path("<int:pk>/rekomendasi/", review.recommend, name="recommend"),
    path("<int:pk>/tinjau/", review.start_review, name="start_review"),
    path("<int:pk>/revisi/", review.request_revision, name="request_revision"),
    path("<int:pk>/setujui/", review.approve, name="approve"),
    path("<int:pk>/tolak/", review.reject, name="reject"),
    path("<int:pk>/evaluasi/", review.evaluate, name="evaluate"),
    # Planning cycles (staff).
    path("siklus/", review.cycle_list, name="cycles"),
    path("siklus/baru/", review.cycle_create, name="cycle_create"),
    path("siklus/<int:pk>/ubah/", review.cycle_edit, name="cycle_edit"),
    path("siklus/<int:pk>/umumkan/", review.cycle_publish, name="cycle_publish"),
]
