module coop/warm

go 1.21
