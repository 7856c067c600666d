module example.com/janitor

go 1.27
