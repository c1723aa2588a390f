"""Admin for request batches. (Status aliases are edited with the core's admin, illdesk/admin.py.)"""

from django.contrib import admin

from .models import Batch


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "library", "created_by", "created_at"]
    list_filter = ["library"]
    search_fields = ["name", "note"]
    raw_id_fields = ["requests"]
    readonly_fields = ["created_by", "created_at"]
