module coop/verify

go 1.22
