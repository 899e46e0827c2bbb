from django.urls import path

from .views import attendance, calendar, notifications, rsvp, schedule

app_name = "meetings"

urlpatterns = [
    # Calendar: everyone sees the meetings they may see.
    path("", calendar.agenda, name="agenda"),
    path("kalender/", calendar.month, name="month"),
    path("kalender/langganan/", calendar.feed_manage, name="feed_manage"),
    path("kalender/feed/<str:token>.ics", calendar.feed, name="feed"),
    path("<int:pk>/rapat.ics", calendar.meeting_ics, name="ics"),
    # Scheduling (staff).
    path("kelola/", schedule.meeting_list, name="list"),
    path("baru/", schedule.meeting_create, name="create"),
    path("<int:pk>/", schedule.meeting_detail, name="detail"),
    path("<int:pk>/ubah/", schedule.meeting_edit, name="edit"),
    path("<int:pk>/batal/", schedule.meeting_cancel, name="cancel"),
    path("<int:pk>/terlaksana/", schedule.meeting_mark_held, name="mark_held"),
    path("<int:pk>/salin/", schedule.meeting_copy, name="copy"),
    path("<int:pk>/undang/", schedule.meeting_invite, name="invite"),
    path("<int:pk>/undang/hitung/", schedule.invite_preview, name="invite_preview"),
    path("<int:pk>/tamu/", schedule.guest_add, name="guest_add"),
    path("<int:pk>/bahan/", schedule.material_add, name="material_add"),
    path("<int:pk>/bahan/<int:material_pk>/", schedule.material_download, name="material_download"),
    # Answers (RSVP): in the portal, or by the per-invitation link without logging in.
    path("<int:pk>/jawab/", rsvp.rsvp_portal, name="rsvp"),
    path("u/<str:token>/", rsvp.rsvp_token, name="rsvp_token"),
    path("<int:pk>/jawaban/", rsvp.rsvp_table, name="rsvp_table"),
    path("<int:pk>/jawaban.<str:fmt>", rsvp.rsvp_export, name="rsvp_export"),
    # On the day and after (staff), and what invitees may read.
    path("<int:pk>/kehadiran/", attendance.attendance, name="attendance"),
    path("<int:pk>/kehadiran/tambah/", attendance.walk_in, name="walk_in"),
    path("<int:pk>/notulen/", attendance.minutes, name="minutes"),
    path("<int:pk>/notulen/ubah/", attendance.minutes_edit, name="minutes_edit"),
    path("<int:pk>/tindak-lanjut/", attendance.follow_up_add, name="follow_up_add"),
    path("tindak-lanjut/<int:pk>/status/", attendance.follow_up_status, name="follow_up_status"),
    path("<int:pk>/undangan.pdf", attendance.pdf_invitation, name="pdf_invitation"),
    path("<int:pk>/daftar-hadir.pdf", attendance.pdf_attendance, name="pdf_attendance"),
    path("<int:pk>/notulen.pdf", attendance.pdf_minutes, name="pdf_minutes"),
    # In-portal notices (each user their own) and staff's "send again" for a failed e-mail.
    path("notifikasi/", notifications.notification_list, name="notifications"),
    path("notifikasi/<int:pk>/dibaca/", notifications.notification_read, name="notification_read"),
    path("notifikasi/dibaca-semua/", notifications.notifications_read_all, name="notifications_read_all"),
    path("<int:pk>/pengingat/<int:reminder_pk>/kirim-ulang/", notifications.reminder_resend, name="reminder_resend"),
]
