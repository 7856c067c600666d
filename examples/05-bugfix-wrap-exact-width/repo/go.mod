module example.com/clihelp

go 1.27
