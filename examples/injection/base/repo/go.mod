module example.com/clampy

go 1.27
