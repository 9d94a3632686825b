"""A person's meetings on their member page (members never imports meetings: this registers a
timeline source from MeetingsConfig.ready)."""


def meeting_events(member):
    """One query: the meetings the person was expected at, with how they attended."""
    from .selectors import meetings_of

    for line in meetings_of(member):
        meeting = line.meeting
        detail = line.get_status_display()
        if line.reason:
            detail = f"{detail}（{line.reason}）"
        yield (meeting.held_on, "meeting", f"{meeting.get_kind_display()} · {meeting.topic}", detail, meeting)


def connect():
    from members.selectors import add_timeline_source

    add_timeline_source(meeting_events)
