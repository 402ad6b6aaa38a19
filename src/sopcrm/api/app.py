from ninja import NinjaAPI

api = NinjaAPI(title="sopcrm API", version="1", urls_namespace="api")
