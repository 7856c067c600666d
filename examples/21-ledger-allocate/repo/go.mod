module example.com/splitbill

go 1.27
