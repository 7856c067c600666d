module example.com/themekit

go 1.27
