from genesys_analytics.cli import main

main()
