module example.com/opsbot

go 1.27
