from django.contrib import admin

from .models import (
    Category,
    Conversation,
    ConversationMember,
    DigestDelivery,
    Flag,
    Notification,
    NotificationPreference,
    Post,
    Thread,
)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "summary", "created", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "summary"]
    raw_id_fields = ["recipient", "cohort"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "topic", "position"]
    list_filter = ["cohort"]
    raw_id_fields = ["cohort", "topic"]


class PostInline(admin.TabularInline):
    model = Post
    fields = ["number", "author", "created", "edited_at", "deleted_at", "hidden_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "category", "author", "post_count", "last_post_at"]
    list_filter = ["pinned", "locked", "hidden", "cohort"]
    search_fields = ["title"]
    raw_id_fields = ["category", "cohort", "author", "last_post"]
    inlines = [PostInline]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "created", "edited_at", "deleted_at", "hidden_at"]
    search_fields = ["body", "thread__title"]
    raw_id_fields = ["thread", "author", "quoted", "deleted_by", "mentions"]
    readonly_fields = ["body_html"]


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "by", "reason", "created", "outcome", "resolved_at"]
    list_filter = ["reason", "outcome"]
    raw_id_fields = ["post", "by", "resolved_by"]


class ConversationMemberInline(admin.TabularInline):
    model = ConversationMember
    fields = ["user", "last_read_message_id", "muted", "joined"]
    readonly_fields = ["last_read_message_id", "joined"]
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Who talks with whom, for support; message text is not shown here."""

    list_display = ["__str__", "cohort", "message_count", "last_message_at"]
    list_filter = ["cohort"]
    raw_id_fields = ["cohort", "created_by", "last_message"]
    readonly_fields = ["direct_key", "message_count"]
    inlines = [ConversationMemberInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "delivery", "updated"]
    list_filter = ["kind", "delivery"]
    raw_id_fields = ["user"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "day", "notification_count", "sent_at"]
    raw_id_fields = ["user"]
