module example.com/buildbot

go 1.27
