module example.com/sensord

go 1.27
