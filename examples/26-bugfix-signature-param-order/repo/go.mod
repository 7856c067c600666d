module example.com/partnerapi

go 1.27
