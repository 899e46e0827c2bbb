"""The meeting page's "on the day and after" block asks one question: what may this user do now?"""

from django import template

from ..selectors import after_meeting

register = template.Library()


@register.simple_tag
def meeting_after(meeting, access):
    """``{% meeting_after meeting access as after %}``: an AfterMeeting, in one query."""
    return after_meeting(access=access, meeting=meeting)
