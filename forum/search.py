"""Search within one cohort's forum.

On PostgreSQL: full-text search (``websearch`` syntax: words, "quoted phrases", -excluded)
ranked with the thread title weighted above the body. The vector is computed at query time
rather than stored: nothing can drift out of date when a post is edited or a title changes,
the migration stays the same on SQLite, and a search only ever reads one cohort's posts (a few
thousand at most), which PostgreSQL vectorises in milliseconds. On SQLite: every word must
appear in the post or, for an opening post, in its thread's title.
"""

from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When

from .models import Post


def search_posts(cohort, user, query: str) -> QuerySet:
    posts = Post.objects.filter(thread__cohort=cohort, deleted_at__isnull=True)
    if not user.is_staff:
        posts = posts.filter(thread__hidden=False, hidden_at__isnull=True)
    posts = posts.select_related("thread__category", "thread__cohort", "author")
    if not query:
        return posts.none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        # The title counts once per thread, on its opening post.
        title = Case(When(number=1, then=F("thread__title")), default=Value(""))
        vector = SearchVector(title, weight="A", config="english") + SearchVector(
            "body", weight="B", config="english"
        )
        terms = SearchQuery(query, search_type="websearch", config="english")
        return (
            posts.annotate(document=vector)
            .filter(document=terms)
            .annotate(rank=SearchRank(vector, terms))
            .order_by("-rank", "-created", "-pk")
        )
    for word in query.split():
        posts = posts.filter(Q(body__icontains=word) | Q(number=1, thread__title__icontains=word))
    return posts.order_by("-created", "-pk")
