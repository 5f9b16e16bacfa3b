from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "summary", "created", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "summary"]
    raw_id_fields = ["recipient", "cohort"]
