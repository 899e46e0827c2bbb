from django import template

from portal.lib import formats

register = template.Library()


@register.filter
def datetime_long(value):
    return formats.datetime_long(value) if value else ""


@register.filter
def date_long(value):
    return formats.date_long(value) if value else ""


@register.filter
def time_wita(value):
    return formats.time_wita(value) if value else ""


@register.simple_tag
def time_range(start, end):
    return formats.time_range(start, end)


@register.filter
def rupiah(value):
    return formats.rupiah(value)
