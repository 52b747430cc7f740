from django.http import HttpResponse


def programme_ics(request, slug):
    return HttpResponse("TODO")


schedule_json = session_ics = programme_ics
