from django.http import HttpResponse


def event_list(request):
    return HttpResponse("TODO")


event_detail = session_detail = person_detail = event_list
