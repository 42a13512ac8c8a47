"""The Strawberry GraphQL API on Starlette (``pulse.graphql``)."""
