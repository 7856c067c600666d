module example.com/hookd

go 1.27
