from django.http import HttpResponse


def sign_in(request):
    return HttpResponse("TODO")


magic_link = sign_out = sign_in
