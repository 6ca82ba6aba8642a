"""Joins the two migrations that followed 0008 side by side: the search terms
(0009) and the inventory sort keys (0010). Nothing to change."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0009_search_terms'),
        ('monitor', '0010_inventory_sort_keys'),
    ]

    operations = []
