module example.com/shopstats

go 1.27
