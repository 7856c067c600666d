module example.com/supportdesk

go 1.27
