# Developer shortcuts. The compose targets need Docker; the rest runs anywhere with Node 20.
COMPOSE_PG := docker compose -p semantik-postgres -f docker-compose.postgres.yml
PG_URL ?= postgres://semantik:semantik@127.0.0.1:5433/semantik

.PHONY: pg-up pg-down pg-logs pg-psql db-migrate test test-setup serve build bench

pg-up:          ## start PostgreSQL + pgvector in Docker (port 5433)
	$(COMPOSE_PG) up -d --wait

pg-down:        ## stop it (the named volume keeps the data)
	$(COMPOSE_PG) down

pg-logs:
	$(COMPOSE_PG) logs -f postgres

pg-psql:
	$(COMPOSE_PG) exec postgres psql -U semantik -d semantik

db-migrate:     ## apply migrations to $(PG_URL) (override PG_URL=… or use DATABASE_URL)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} node bin/semantik.js db migrate

test:           ## install what the tests need (local PostgreSQL, pgvector, chromium) and run them
	bash scripts/test.sh

serve:          ## run on the embedded database in ./data
	node bin/semantik.js serve

build:
	npm run build

bench:
	npm run bench:db && npm run bench:api && npm run bench:search && npm run bench:ingest && npm run bench:migrate && npm run bench:concurrency
