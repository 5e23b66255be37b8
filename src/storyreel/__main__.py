from storyreel.cli.app import main

main()
