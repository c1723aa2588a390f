def task_list(request):
    raise NotImplementedError
