from django.http import HttpResponse


def slots(request):
    return HttpResponse("TODO")


profile = edit_abstract = upload_paper = download_paper = calendar_feed = slots
